/**
 * A CJK font for printed forms, found at run time: the PDF must show Chinese, and a PDF without a CJK font prints
 * empty boxes. YIWANG_CJK_FONT (and YIWANG_CJK_FONT_FAMILY for a .ttc collection) override the search; otherwise the
 * usual Debian/Ubuntu locations (fonts-wqy-microhei is installed by .ci/run). None found: the caller answers 503.
 */
import { existsSync } from 'node:fs';

export interface CjkFont {
  path: string;
  /** PostScript name of the face inside a .ttc collection. */
  family?: string;
}

const KNOWN: CjkFont[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/arphic/uming.ttc', family: 'AR PL UMing CN' },
  { path: '/usr/share/fonts/wqy-microhei/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
];

let cached: CjkFont | null | undefined;

export function findCjkFont(env: NodeJS.ProcessEnv = process.env): CjkFont | undefined {
  const override = env.YIWANG_CJK_FONT;
  if (override) return existsSync(override) ? { path: override, family: env.YIWANG_CJK_FONT_FAMILY || undefined } : undefined;
  if (cached === undefined) cached = KNOWN.find((f) => existsSync(f.path)) ?? null;
  return cached ?? undefined;
}
