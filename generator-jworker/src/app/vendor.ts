import { basename, isAbsolute } from 'node:path';

/** The folder of the generated repo that carries a runtime tarball given with `--runtime-version file:<path>`. */
export const VENDOR_DIR = 'vendor';

/**
 * A `jworker-runtime` tarball copied into the generated repository: the repo then installs the same way from a
 * fresh clone, in its Dockerfile and in its CI, where a path outside the repo does not exist.
 */
export interface VendoredRuntime {
  /** The tarball given, an absolute path. */
  readonly source: string;
  /** Its copy in the generated repo: `vendor/<file name>`. */
  readonly destination: string;
  /** The package.json dependency on the copy: `file:vendor/<file name>`. */
  readonly dependency: string;
}

/** The tarball to vendor for a normalized `--runtime-version` (`file:<absolute path>`); undefined for a range or a tag. */
export function vendoredRuntime(runtimeVersion: string): VendoredRuntime | undefined {
  if (!runtimeVersion.startsWith('file:')) return undefined;
  const source = runtimeVersion.slice('file:'.length);
  if (!isAbsolute(source)) return undefined;
  const destination = `${VENDOR_DIR}/${basename(source)}`;
  return { source, destination, dependency: `file:${destination}` };
}
