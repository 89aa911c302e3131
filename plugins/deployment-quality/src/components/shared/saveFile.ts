/**
 * Hands a downloaded blob to the browser as a file. The CSV route needs the
 * user's Backstage token, which a plain link can't carry, so the file is
 * fetched through the API client and saved from memory.
 */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
