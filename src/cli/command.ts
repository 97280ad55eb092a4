/**
 * The command registry: each command module registers its yargs definition and handler here;
 * main.ts wires them up. Handlers get parsed arguments, a logger and an output writer, and
 * return an exit code (errors are thrown as typed errors and mapped in main.ts).
 */
import type { Argv } from 'yargs';
import type { Logger } from '../log.ts';

export interface CommandContext {
  log: Logger;
  out: (text: string) => void;
}

export interface CommandModule {
  name: string;
  describe: string;
  builder: (y: Argv) => Argv;
  run: (args: Record<string, unknown>, ctx: CommandContext) => Promise<number>;
}

const commands: CommandModule[] = [];

export function registerCommand(cmd: CommandModule): void {
  commands.push(cmd);
}

export function allCommands(): readonly CommandModule[] {
  return commands;
}
