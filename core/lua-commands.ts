import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/**
 * A Lua script run as one atomic Redis command. It comes from a file `<name>-<numberOfKeys>.lua`
 * at the top of a folder of commands (the naming of BullMQ's `src/commands`), with every
 * `--- @include "path"` line replaced by the file it names.
 */
export interface LuaCommand {
  /** The method defined on the ioredis client: the file name before `-<numberOfKeys>.lua`. */
  name: string;
  /** How many of the arguments are KEYS (the rest are ARGV). */
  numberOfKeys: number;
  /** The script with its includes inlined. */
  lua: string;
}

const COMMAND_FILE = /^([a-z][A-Za-z0-9]*)-(\d+)\.lua$/;
const INCLUDE_LINE = /^--- @include "([^"]+)"[ \t]*$/gm;

/**
 * Builds the commands of a folder from its files, keyed by path relative to the folder (`/`
 * separated). Top-level files are commands; files in subfolders are only included. An include
 * path is relative to the file that includes it, `.lua` optional; each file is inlined once per
 * command, where it is first included. Throws on a missing or circular include and on a top-level
 * file not named `<name>-<numberOfKeys>.lua`, so a broken script fails at start, not at its first call.
 */
export function resolveLuaCommands(files: ReadonlyMap<string, string>): LuaCommand[] {
  const commands: LuaCommand[] = [];
  for (const path of [...files.keys()].sort()) {
    if (path.includes('/')) continue;
    const match = COMMAND_FILE.exec(path);
    if (!match) throw new Error(`Lua command file ${path} is not named <name>-<numberOfKeys>.lua`);
    const [, name = '', keys = ''] = match;
    commands.push({ name, numberOfKeys: Number(keys), lua: inline(path, files, new Set([path]), [path]) });
  }
  return commands;
}

function inline(path: string, files: ReadonlyMap<string, string>, included: Set<string>, chain: string[]): string {
  const text = files.get(path) ?? '';
  return text.replace(INCLUDE_LINE, (_line, target: string) => {
    const resolved = posix.join(posix.dirname(path), target.endsWith('.lua') ? target : `${target}.lua`);
    if (chain.includes(resolved)) throw new Error(`Lua include cycle: ${[...chain, resolved].join(' → ')}`);
    if (!files.has(resolved)) throw new Error(`Lua include "${target}" of ${path} not found (looked for ${resolved})`);
    if (included.has(resolved)) return '';
    included.add(resolved);
    return inline(resolved, files, included, [...chain, resolved]).trimEnd();
  });
}

/** Reads the `.lua` files under `dir` (a `file:` URL, e.g. `new URL('./lua/', import.meta.url)`) and resolves them. */
export function readLuaCommands(dir: URL): LuaCommand[] {
  const root = fileURLToPath(dir);
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.lua')) continue;
    files.set(entry.split(sep).join('/'), readFileSync(join(root, entry), 'utf8'));
  }
  if (files.size === 0) throw new Error(`no Lua commands in ${root}`);
  return resolveLuaCommands(files);
}

/** Scripts each client defined through here, by command name, so defining them again is a no-op. */
const definedOn = new WeakMap<Redis, Map<string, string>>();

/**
 * Defines the commands on an ioredis client (and so on its pipelines): each is sent by EVALSHA,
 * its body only when the server lacks it. Defining the same command again is a no-op; a name
 * taken by another script or by an ioredis method throws.
 */
export function defineLuaCommands(redis: Redis, commands: readonly LuaCommand[]): void {
  let defined = definedOn.get(redis);
  if (!defined) definedOn.set(redis, (defined = new Map<string, string>()));
  for (const command of commands) {
    const before = defined.get(command.name);
    if (before === command.lua) continue;
    if (before !== undefined || command.name in redis)
      throw new Error(`Lua command ${command.name} clashes with a command already on this client`);
    redis.defineCommand(command.name, { numberOfKeys: command.numberOfKeys, lua: command.lua });
    defined.set(command.name, command.lua);
  }
}
