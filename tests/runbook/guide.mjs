// Reads CollectIQ's deployment guide (the runbook) in place and returns
// its `aws` commands and example JSON blocks by section, so the test runs
// the commands exactly as the guide writes them. The guide is not part of
// this repository: RUNBOOK_GUIDE names it, and the default is
// ../shared/reference/collectiq-auto-trigger-deployment-guide.md beside
// the repository.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const GUIDE_PATH =
  process.env.RUNBOOK_GUIDE ??
  resolve(REPO_ROOT, '../shared/reference/collectiq-auto-trigger-deployment-guide.md');

// Splits the guide into sections at every Markdown heading. Each section
// has its heading text and its fenced code blocks ({language, text}).
function parseSections(markdown) {
  const sections = [];
  let current = { heading: '', blocks: [] };
  let fence = null;
  for (const line of markdown.split('\n')) {
    const trimmed = line.trim();
    if (fence) {
      if (trimmed.startsWith('```')) {
        current.blocks.push({ language: fence.language, text: fence.lines.join('\n') });
        fence = null;
      } else {
        fence.lines.push(line);
      }
      continue;
    }
    if (trimmed.startsWith('```')) {
      fence = { language: trimmed.slice(3).trim(), lines: [] };
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      current = { heading: heading[1].trim(), blocks: [] };
      sections.push(current);
    }
  }
  return sections;
}

// Returns the shell commands of a bash block: continuation lines joined,
// comments and blank lines dropped.
function shellCommands(text) {
  const joined = text.replace(/\\\n\s*/g, '');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export class Guide {
  constructor(path = GUIDE_PATH) {
    this.path = path;
    this.sections = parseSections(readFileSync(path, 'utf8'));
  }

  // Returns the section whose heading starts with `prefix`; throws when
  // the guide has none, which means the guide changed.
  section(prefix) {
    const found = this.sections.find((section) => section.heading.startsWith(prefix));
    if (!found) throw new Error(`${this.path} has no section whose heading starts with "${prefix}"`);
    return found;
  }

  // Returns the `aws` commands of a section's bash blocks, in order.
  awsCommands(prefix) {
    const commands = this.section(prefix)
      .blocks.filter((block) => block.language === 'bash')
      .flatMap((block) => shellCommands(block.text))
      .filter((command) => command.startsWith('aws '));
    if (commands.length === 0) throw new Error(`section "${prefix}" of ${this.path} has no aws command`);
    return commands;
  }

  // Returns the section's `aws` command that contains `fragment` (such
  // as 'list-executions'); throws unless exactly one matches.
  awsCommand(prefix, fragment = '') {
    const matches = this.awsCommands(prefix).filter((command) => command.includes(fragment));
    if (matches.length !== 1) {
      throw new Error(`section "${prefix}" has ${matches.length} aws commands containing "${fragment}", expected 1`);
    }
    return matches[0];
  }

  // Returns the text of the section's `index`-th JSON block.
  jsonBlock(prefix, index = 0) {
    const blocks = this.section(prefix).blocks.filter((block) => block.language === 'json');
    if (!blocks[index]) throw new Error(`section "${prefix}" of ${this.path} has no JSON block ${index}`);
    return blocks[index].text;
  }
}

// Returns the guide, or null when its file is absent (the test then skips).
export function loadGuide() {
  return existsSync(GUIDE_PATH) ? new Guide(GUIDE_PATH) : null;
}
