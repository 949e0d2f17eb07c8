/**
 * A QR code as an SVG image: one path of dark modules on a light square
 * with the 4-module quiet zone (cli/_qr.ts makes the matrix).
 *
 * @module
 */
import { QR_QUIET_ZONE, qrMatrix } from "../../cli/_qr.ts";

/** The QR code of `text` as a standalone SVG document. */
export function qrSvg(text: string): string {
  const matrix = qrMatrix(text);
  const size = matrix.length + 2 * QR_QUIET_ZONE;
  const dark = matrix.flatMap((row, y) =>
    row.flatMap((on, x) => on ? [`M${x + QR_QUIET_ZONE} ${y + QR_QUIET_ZONE}h1v1h-1z`] : [])
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" ` +
    `shape-rendering="crispEdges" role="img" aria-label="QR code of ${text}">` +
    `<rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path fill="#000" d="${dark.join("")}"/></svg>`;
}
