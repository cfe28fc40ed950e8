import { deriveOfficeKey, officeKeysFromMaster } from '@cip/core';
import { defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';
import { readCompositionInput } from '@cip/schema';

/**
 * Prints what one office is configured with, derived from the gateway's master secret (which no
 * office holds; docs/security.md "Gateway and offices"):
 *
 *   GATEWAY_SIGNING_SECRET=... npm run -s signing:key -- --office partners          → OFFICE_SIGNING_KEYS
 *   GATEWAY_SIGNING_SECRET=... npm run -s signing:key -- --office agreements --peers partners,sectors
 *                                                                                   → OFFICE_PEER_SIGNING_KEYS
 */
const command = defineCommand({
  name: 'npm run signing:key',
  summary: "prints an office's signing key (or its peer keys), derived from the gateway's master secret, alone.",
  usage: 'npm run signing:key -- --office <name> [--peers <list>]',
  options: {
    office: { type: 'string', value: '<name>', description: 'the office, as named in schema/subgraphs.json' },
    peers: {
      type: 'string',
      value: '<list>',
      description:
        'comma-separated offices it looks records up in: prints the value of OFFICE_PEER_SIGNING_KEYS instead',
    },
  },
  env: [
    {
      name: 'GATEWAY_SIGNING_SECRET',
      description: "the gateway's master secret (at least 32 characters); read here, never printed",
    },
  ],
  details:
    'Example: OFFICE_SIGNING_KEYS=$(GATEWAY_SIGNING_SECRET=... npm run -s signing:key -- --office partners)\nExit codes: 0 printed, 64 bad usage or no secret.',
});
const { values } = readCommandLine(command);

const master = process.env.GATEWAY_SIGNING_SECRET;
if (!master || master.length < 32)
  exitWithUsageError(command, "Set GATEWAY_SIGNING_SECRET (at least 32 characters), the gateway's master secret.");
const offices = (await readCompositionInput()).map((subgraph) => subgraph.name);
const known = (name: string) => {
  if (!offices.includes(name)) exitWithUsageError(command, `No office ${name}; the offices are ${offices.join(', ')}.`);
  return name;
};
if (values.office === undefined) exitWithUsageError(command, '--office is required.');
const office = known(values.office);
if (values.peers === undefined) {
  process.stdout.write(`${deriveOfficeKey(master, office)}\n`);
} else {
  const peers = values.peers
    .split(',')
    .map((peer) => peer.trim())
    .filter(Boolean)
    .map(known);
  if (peers.length === 0 || peers.includes(office))
    exitWithUsageError(command, '--peers lists other offices than --office, at least one.');
  const keys = officeKeysFromMaster(master, office);
  process.stdout.write(`${peers.map((peer) => `${peer}=${keys.peerKey(peer)!}`).join(',')}\n`);
}
