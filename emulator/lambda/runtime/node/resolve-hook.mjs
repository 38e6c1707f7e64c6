// Module resolution hook of Stratus's Node.js runtime, registered by
// bootstrap.mjs. AWS's nodejs runtimes provide the AWS SDK for JavaScript
// v3, so bundles mark `@aws-sdk/*` as external and import it bare. Node
// ignores NODE_PATH for ES modules and looks only in node_modules folders
// above the importing file. This hook therefore resolves a bare specifier
// that the handler's folders lack again from this runtime's folder, where
// the setup command installs the SDK.

const runtimeParent = new URL('./package.json', import.meta.url).href;

function isBare(specifier) {
  return !/^(\.|\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw err;
    if (context.parentURL === runtimeParent) throw err;
    try {
      return await nextResolve(specifier, { ...context, parentURL: runtimeParent });
    } catch {
      throw err;
    }
  }
}
