/** Size labels by lines changed, smallest first. */
export const SIZES = [
  { label: "size/XS", upTo: 10 },
  { label: "size/S", upTo: 100 },
  { label: "size/M", upTo: 500 },
  { label: "size/L", upTo: 1000 },
  { label: "size/XL", upTo: Infinity },
] as const;

export function sizeLabel(linesChanged: number): string {
  return SIZES.find((size) => linesChanged <= size.upTo)!.label;
}
