import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdvisoryLocks, ImageRepository, ImageSpool, LOGGER, caught } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { LockedPassService } from '../locks/locked-pass.service.js';

const SWEEP_INTERVAL_MS = 600_000;
// An upload still arriving keeps writing its part file; one untouched for a day was abandoned (an API that crashed).
const PART_MAX_AGE_MS = 24 * 3600_000;
// An accepted file is renamed just before its transaction commits: younger ones may belong to one not yet visible.
const ACCEPTED_MIN_AGE_MS = 600_000;

/** Removes what no operation will read from the image spool: abandoned part files, and files of images no longer saving. */
@Injectable()
export class ImageSpoolSweepService extends LockedPassService {
  protected readonly pass: LockedPass;

  constructor(images: ImageRepository, locks: AdvisoryLocks, @Inject(WORKER_CONFIG) config: WorkerConfig, @Inject(LOGGER) logger: Logger) {
    super();
    const spool = new ImageSpool(config.IMAGE_SPOOL_DIR);
    this.pass = new LockedPass(
      locks,
      'image-spool-sweep',
      async () => {
        const saving = new Set(await images.savingIds());
        let removed = 0;
        for (const e of await spool.entries()) {
          const stale = e.part ? e.ageMs > PART_MAX_AGE_MS : e.ageMs > ACCEPTED_MIN_AGE_MS && !saving.has(e.imageId);
          if (stale) await spool.discard(e.path).then(() => removed++);
        }
        if (removed > 0) logger.info({ removed }, 'removed image uploads no operation will read');
      },
      SWEEP_INTERVAL_MS,
      caught(logger, 'image-spool-sweep', undefined),
    );
  }
}
