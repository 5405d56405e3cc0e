/**
 * UploadPackage and DownloadPackage. Uploads go to the leader only (it is the nimbus that
 * will load the topology at submit); the upload is refused before a byte is read when this
 * nimbus does not lead, so the client redirects with its source untouched. Downloads are
 * served by any nimbus holding the package (supervisors, and other nimbuses syncing); a
 * follower that lacks it (not copied yet) sends the caller to the leader instead.
 */
import { NotLeaderError } from '../../rpc/errors.js';
import type { NimbusHandlers } from '../../rpc/types.js';
import { readLeaderAddress, type NimbusCore } from '../core.js';
import { PackageNotFoundError } from '../package-store.js';

/** The package handlers. */
export function packageHandlers(core: NimbusCore): Pick<NimbusHandlers, 'uploadPackage' | 'downloadPackage'> {
  return {
    async uploadPackage(upload, ctx) {
      await core.leader();
      // The rpc layer checks size and sha256 against the metadata while we read; the store
      // hashes again (its id is what it stored), inspects, and keeps nothing of a bad package.
      // The upload enters the inbox (package-cleanup.ts) before it is in place: from then on
      // it is kept until its submit, or nimbus.inbox.jar.expiration.secs without one.
      const { packageId, size } = await core.packages.receive(upload.chunks, {
        signal: ctx.signal, beforeStore: (id) => core.packageCleanup.uploaded(id),
      });
      await core.packageSync.announce(packageId);
      core.logger.info('package stored', { packageId, size, name: upload.metadata.name });
      return { packageId };
    },

    async downloadPackage(request, ctx) {
      try {
        const stored = await core.packages.open(request.packageId);
        return { metadata: { name: stored.packageId, size: stored.size, sha256: stored.packageId }, chunks: stored.chunks };
      } catch (err) {
        if (!(err instanceof PackageNotFoundError) || core.currentLeader()) throw err;
        const leader = await readLeaderAddress(core.cluster, ctx.signal).catch(() => undefined);
        if (leader === undefined || leader === core.address) throw err;
        throw new NotLeaderError(leader, { hint: `this nimbus has not copied the package yet; the leader ${leader} has it` });
      }
    },
  };
}
