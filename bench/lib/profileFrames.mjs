/** The package a profile frame's script belongs to: a node_modules package, node core, V8, or our file. */
export function packageOf(url) {
  if (!url) return '(native / V8)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.startsWith('node:')) return 'node core';
  return url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
}
