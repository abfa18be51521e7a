/**
 * QR codes of client configs (qrcode): for the terminal and as PNG. The PNG
 * decodes (zbarimg --raw) to exactly the config text (integration test).
 */
import QRCode from 'qrcode';

/** A QR code drawn with Unicode half blocks, for a terminal. */
export function qrTerminal(text: string): Promise<string> {
  // Error correction L keeps a ~350-byte config at a size phones scan from a terminal.
  return QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: 'L' });
}

/** A PNG of the QR code, as bytes (the caller writes it at 0600: it holds a private key). */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'L', margin: 4, scale: 6 });
}
