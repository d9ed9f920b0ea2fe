import { Module } from '@nestjs/common';
import { OperationsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

/** Operations as tenants poll them. */
@Module({ imports: [OperationsDataModule, TenancyModule], controllers: [OperationsController], providers: [OperationsService] })
export class OperationsModule {}
