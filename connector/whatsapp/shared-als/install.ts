// Placeholder until the loader hook lands: reports that the patch is not installed.
export function installSharedAlsPatch(): 'installed' | 'already-loaded' | 'unsupported' {
  return 'unsupported';
}
