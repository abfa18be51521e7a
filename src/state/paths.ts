/** The state directory's default location (a leaf module: no database driver is loaded with it). */

/** Where the state store lives unless --state-dir / $PRIVROUTE_STATE_DIR say otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/privroute';
