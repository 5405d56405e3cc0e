import { join } from 'node:path';
const m = await import('./multilang.js');
const root = new URL('..', import.meta.url).pathname;
const r = await m.underSquall([join(root, '.cache/compat/venv/bin/python'), join(root, 'bench/components/pystorm_split.py')], ['word'], 6);
console.log(r);
