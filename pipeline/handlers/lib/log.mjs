// log.mjs: the handlers' logger. One JSON object per line on stdout
// (stderr for errors) with `timestamp`, `level` and `message`, then the
// context fields, as CollectIQ's telemetry logger writes them. LOG_LEVEL
// (DEBUG, INFO, WARN, ERROR; default INFO) drops the lower levels.

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

function threshold() {
  const name = (process.env.LOG_LEVEL || 'INFO').toUpperCase();
  return LEVELS[name] ?? LEVELS.INFO;
}

function write(level, message, context) {
  if (LEVELS[level] < threshold()) return;
  const line = { timestamp: new Date().toISOString(), level, message };
  if (context && typeof context === 'object') {
    for (const [key, value] of Object.entries(context)) {
      line[key] = value instanceof Error
        ? { name: value.name, message: value.message }
        : value;
    }
  }
  const text = JSON.stringify(line);
  if (level === 'ERROR') console.error(text);
  else console.log(text);
}

export const logger = {
  debug: (message, context) => write('DEBUG', message, context),
  info: (message, context) => write('INFO', message, context),
  warn: (message, context) => write('WARN', message, context),
  error: (message, context) => write('ERROR', message, context),
};
