/** Whether `url` carries a user or password (`https://user:pass@host`). Unparseable text: false. */
export function hasUrlCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return /\/\/[^@/]*@/.test(url);
  }
}

/** `url` as it may be printed or recorded: any `user:password@` becomes `***@`. */
export function redactUrlCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
