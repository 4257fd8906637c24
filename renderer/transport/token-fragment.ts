/** Splits `#token=abc&x=1` into the token and what is left of the fragment. */
export function tokenFromFragment(fragment: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const token = params.get('token');
  params.delete('token');
  const rest = params.toString();
  return { token: token === null || token === '' ? null : token, rest: rest === '' ? '' : `#${rest}` };
}
