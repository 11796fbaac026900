/**
 * strata's version: what `strata --version` prints, and what the images strata writes record as the
 * version of the engine that made them (the config's `docker_version`, Docker's inspect `DockerVersion`).
 */
export const STRATA_VERSION = '0.1.0';
