/**
 * One page of a list, with the `Link` header GitHub sends: Octokit's
 * `paginate()` follows rel="next", so without it a client would silently
 * stop after the first page.
 */
export function page<T>(context: { query: Record<string, string | undefined>; requestUrl: string }, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(context.query.per_page ?? 30) || 30, 100);
  const current = Math.max(Number(context.query.page ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (number: number, rel: string) => {
    const url = new URL(context.requestUrl);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(number));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links = [
    ...(current > 1 ? [link(current - 1, "prev"), link(1, "first")] : []),
    ...(current < last ? [link(current + 1, "next"), link(last, "last")] : []),
  ];
  return { items: items.slice((current - 1) * perPage, current * perPage), headers: links.length > 0 ? { link: links.join(", ") } : {} };
}
