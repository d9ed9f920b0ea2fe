import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { QuotaRecountService } from './quota-recount.service.js';

/** The periodic quota recount, one worker at a time. */
@Module({ imports: [TenancyModule], providers: [QuotaRecountService], exports: [QuotaRecountService] })
export class QuotaModule {}
