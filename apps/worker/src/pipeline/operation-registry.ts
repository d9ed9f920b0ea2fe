import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { JOB_QUEUE, type JobName } from '@xenplane/core';
import { HANDLES_JOBS, type OperationHandler } from './operation-handler.js';

/** Job name to handler, discovered from @HandlesJobs providers; boot fails unless every catalogued job has one. */
@Injectable()
export class OperationRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, OperationHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      const metatype = wrapper.metatype;
      if (!instance || !metatype) continue;
      const jobs = this.reflector.get<JobName[] | undefined>(HANDLES_JOBS, metatype);
      for (const job of jobs ?? []) {
        if (this.handlers.has(job)) throw new Error(`two handlers for job ${job}`);
        this.handlers.set(job, instance as OperationHandler);
      }
    }
    const missing = Object.keys(JOB_QUEUE).filter((job) => !this.handlers.has(job));
    if (missing.length) throw new Error(`no handler for jobs: ${missing.join(', ')}`);
  }

  handlerFor(job: string): OperationHandler | undefined {
    return this.handlers.get(job);
  }
}
