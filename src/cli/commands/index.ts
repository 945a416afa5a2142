// Registered `fulcrum` subcommands. New ones (import-keepalived, demo) add a
// module in this folder and one line here.
import type { CommandModule } from 'yargs';
import { announceCommand } from './announce';
import { daemonCommand } from './daemon';
import { demoCommand } from './demo-command';
import { importKeepalivedCommand } from './import-keepalived';
import { topCommand } from './top';
import { explainCommand } from './explain';
import { replayCommand } from './replay';
import { doctorCommand } from './doctor';
import { setupCommand } from './setup';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<object, any>[] = [daemonCommand, demoCommand, importKeepalivedCommand, announceCommand, topCommand, explainCommand, replayCommand, doctorCommand, setupCommand];
