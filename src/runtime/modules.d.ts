/** The repository's bundle, a sibling module of host.js in the tenant's Dynamic Worker (the build maps it to ./bundle.js). */
declare module "repoflow-bundle" {
  export const workflows: Record<string, unknown>;
}
