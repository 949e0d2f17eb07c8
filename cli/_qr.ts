/**
 * QR codes in the terminal: the code from qrcode-generator, drawn with
 * Unicode half blocks so that one text line holds two module rows.
 *
 * Light modules are drawn as blocks and dark ones as blanks, as
 * `qrencode -t UTF8` does, which reads correctly on the usual dark terminal
 * background; a quiet zone of 4 modules surrounds the code (ISO/IEC 18004
 * §6.3.8).
 *
 * @module
 */
import qrcode from "qrcode-generator";

/** Width of the light border around the code, in modules. */
export const QR_QUIET_ZONE = 4;

/** The characters for a (top, bottom) pair of modules, indexed by top * 2 + bottom (1 = light). */
const HALF_BLOCKS = [" ", "\u2584", "\u2580", "\u2588"];

/**
 * The dark/light matrix of a QR code for `text` (error correction level M).
 * Text made only of QR alphanumeric characters (0-9, A-Z, space, $%*+-./:)
 * is encoded in the denser alphanumeric mode.
 */
export function qrMatrix(text: string): boolean[][] {
  const qr = qrcode(0, "M");
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? "Alphanumeric" : "Byte");
  qr.make();
  const size = qr.getModuleCount();
  return Array.from(
    { length: size },
    (_, row) => Array.from({ length: size }, (_, col) => qr.isDark(row, col)),
  );
}

/**
 * The QR code of `text` as terminal text, one line per two module rows.
 *
 * @example
 * ```ts
 * import { renderQr } from "./_qr.ts";
 * console.log(renderQr("METEOR1..."));
 * ```
 */
export function renderQr(text: string): string {
  const matrix = qrMatrix(text);
  const size = matrix.length + 2 * QR_QUIET_ZONE;
  const light = (row: number, col: number) => {
    const r = row - QR_QUIET_ZONE;
    const c = col - QR_QUIET_ZONE;
    const inCode = r >= 0 && r < matrix.length && c >= 0 && c < matrix.length;
    return inCode ? !matrix[r][c] : true;
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = "";
    for (let col = 0; col < size; col++) {
      const top = light(row, col) ? 1 : 0;
      // An odd size leaves the last line's bottom half off the code: draw it dark (blank).
      const bottom = row + 1 < size && light(row + 1, col) ? 1 : 0;
      line += HALF_BLOCKS[top * 2 + bottom];
    }
    lines.push(line);
  }
  return lines.join("\n");
}
