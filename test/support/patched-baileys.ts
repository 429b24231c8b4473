// The connector's Baileys source patches (connector/whatsapp/baileys-patches) apply only to a Baileys loaded after
// they are registered. The simulator loads Baileys too, so every harness that runs the connector in-process imports
// this module before anything else (vitest evaluates imports in order): the tests then run the same patched Baileys
// as `npm start`, and startConnector refuses to run on a stock one (unappliedBaileysPatches).
import { installBaileysPatches } from '../../connector/whatsapp/baileys-patches/install.ts';

if (installBaileysPatches({ sharedAls: true }) !== 'installed') throw new Error('the Baileys patches could not be registered');
