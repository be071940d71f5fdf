// The deterministic simulations' command line: the whole-cluster simulation (chaos/cluster-cli.ts), or
// with --raft the Raft-only one (chaos/raft-sim-cli.ts). Each parses the same argv.
if (process.argv.includes('--raft')) await import('./raft-sim-cli.ts');
else await import('./cluster-cli.ts');
