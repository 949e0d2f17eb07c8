/**
 * A QR code as an SVG image (qrcode-generator, error correction level M),
 * one path of dark modules inside a 4-module quiet zone (ISO/IEC 18004
 * §6.3.8), for the login page.
 *
 * @module
 */
import qrcode from "qrcode-generator";

const QUIET_ZONE = 4;

/** The SVG markup of a QR code of `text`, `size` CSS pixels wide. */
export function qrSvg(text: string, size = 256): string {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  let path = "";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.isDark(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  const view = n + 2 * QUIET_ZONE;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${view} ${view}" width="${size}" ` +
    `height="${size}" shape-rendering="crispEdges" role="img" aria-label="QR code">` +
    `<rect width="${view}" height="${view}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
