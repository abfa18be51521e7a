/**
 * Where privroute keeps the engine's files on the VPS. `root` prefixes every path
 * (the lab runs the "VPS" in a namespace that shares this machine's filesystem,
 * so it must never write /etc there).
 */

/** Paths and names on the VPS. */
export interface VpsLayout {
  dir: string;
  configPath: string;
  certPath: string;
  keyPath: string;
  serviceName: string;
  pidFile: string;
  logFile: string;
  unitDir: string;
  /** Where an uploaded engine binary goes (vps.engine_install = upload). */
  uploadBinary: string;
  /** The engine API's loopback port. */
  apiPort: number;
}

/** The default layout, optionally under `root` (lab). */
export function vpsLayout(root = '', apiPort = 10085): VpsLayout {
  const dir = `${root}/etc/privroute-xray`;
  return {
    dir,
    configPath: `${dir}/config.json`,
    certPath: `${dir}/server.crt`,
    keyPath: `${dir}/server.key`,
    serviceName: 'privroute-xray',
    pidFile: `${root}/run/privroute-xray.pid`,
    logFile: `${root}/var/log/privroute-xray.log`,
    unitDir: `${root}/etc/systemd/system`,
    uploadBinary: `${root}/usr/local/bin/privroute-xray`,
    apiPort,
  };
}
