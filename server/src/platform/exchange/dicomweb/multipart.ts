/**
 * multipart/related bodies of DICOMweb (STOW-RS requests, WADO-RS answers): split into parts, and built. Parts are
 * binary DICOM files, so the body is handled as bytes throughout; only the part headers are read as text.
 */
export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary parameter of a Content-Type header, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The parts of a multipart body; throws an Error saying what is wrong with a malformed one. */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error(`the body holds no part (boundary '${boundary}' not found)`);
  for (;;) {
    let start = at + delimiter.length;
    // The closing delimiter ends the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    else if (body[start] === 0x0a) start += 1;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new Error('the body ends inside a part (no closing boundary)');
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    else if (body[end - 1] === 0x0a) end -= 1;
    const raw = body.subarray(start, end);
    let split = raw.indexOf('\r\n\r\n');
    let gap = 4;
    if (split < 0) {
      split = raw.indexOf('\n\n');
      gap = 2;
    }
    if (split < 0) throw new Error(`part ${parts.length + 1} has no header/body separator`);
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, split).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: raw.subarray(split + gap) });
    at = next;
  }
  return parts;
}

/** A multipart/related body of DICOM files (STOW-RS), with its Content-Type header. */
export function buildMultipart(files: Buffer[], type = 'application/dicom'): { body: Buffer; contentType: string } {
  const boundary = `yiwang-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`, 'latin1'), f, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="${type}"; boundary=${boundary}` };
}
