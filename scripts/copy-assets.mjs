// Copies non-TypeScript assets (SQL migrations, JSON rule data) from server/src to server/dist.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'server');
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(sql|json)$/.test(name)) cpSync(path, path.replace(join(root, 'src'), join(root, 'dist')));
  }
};
walk(join(root, 'src'));
