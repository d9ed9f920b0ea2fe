import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import type { Quota, QuotaAmounts, QuotaLimits, RecountResult } from '@xenplane/tenancy';

// vms, vcpus and networks are int columns; memory and disk are bigint.
const INT_MAX = 2_147_483_647;
const BIG_MAX = Number.MAX_SAFE_INTEGER;
const limitDoc = (maximum: number) => ({ type: 'integer', nullable: true, minimum: 0, maximum, description: 'null = unlimited' }) as const;
/** Present, and a non-negative integer or null. */
const RequiredLimit = (max: number) =>
  applyDecorators(
    ValidateIf((_, v) => v !== null),
    IsInt(),
    Min(0),
    Max(max),
  );
/** Absent, null, or a non-negative integer. */
const OptionalLimit = (max: number) => applyDecorators(IsOptional(), IsInt(), Min(0), Max(max));

/** PUT /v1/tenants/:id/quota: every limit, each a non-negative integer or null (apiKeys, added later, may be left out). */
export class QuotaLimitsDto implements Partial<QuotaLimits> {
  @ApiProperty(limitDoc(INT_MAX)) @RequiredLimit(INT_MAX) vms: number | null;
  @ApiProperty(limitDoc(INT_MAX)) @RequiredLimit(INT_MAX) vcpus: number | null;
  @ApiProperty(limitDoc(BIG_MAX)) @RequiredLimit(BIG_MAX) memoryMiB: number | null;
  @ApiProperty(limitDoc(BIG_MAX)) @RequiredLimit(BIG_MAX) diskGiB: number | null;
  @ApiProperty(limitDoc(INT_MAX)) @RequiredLimit(INT_MAX) networks: number | null;
  @ApiPropertyOptional({ ...limitDoc(INT_MAX), description: 'live (unrevoked) API keys; null = unlimited; left out: unchanged' })
  @OptionalLimit(INT_MAX)
  apiKeys?: number | null;
  @ApiPropertyOptional({ ...limitDoc(INT_MAX), description: 'SSH keypairs; null = unlimited; left out: unchanged' })
  @OptionalLimit(INT_MAX)
  keypairs?: number | null;
  @ApiPropertyOptional({ ...limitDoc(INT_MAX), description: 'volumes; null = unlimited; left out: unchanged' })
  @OptionalLimit(INT_MAX)
  volumes?: number | null;
  @ApiPropertyOptional({ ...limitDoc(BIG_MAX), description: 'GiB across all volumes; null = unlimited; left out: unchanged' })
  @OptionalLimit(BIG_MAX)
  volumeGiB?: number | null;
  @ApiPropertyOptional({ ...limitDoc(INT_MAX), description: 'snapshots of VMs and volumes; null = unlimited; left out: unchanged' })
  @OptionalLimit(INT_MAX)
  snapshots?: number | null;
  @ApiPropertyOptional({
    ...limitDoc(BIG_MAX),
    description: 'GiB across all snapshots (the disks each copies); null = unlimited; left out: unchanged',
  })
  @OptionalLimit(BIG_MAX)
  snapshotGiB?: number | null;
  @ApiPropertyOptional({ ...limitDoc(INT_MAX), description: 'addresses held on provider networks; null = unlimited; left out: unchanged' })
  @OptionalLimit(INT_MAX)
  publicIps?: number | null;
  @ApiPropertyOptional({
    ...limitDoc(INT_MAX),
    description: 'security groups (the default group is not counted); null = unlimited; left out: unchanged',
  })
  @OptionalLimit(INT_MAX)
  securityGroups?: number | null;
  @ApiPropertyOptional({
    ...limitDoc(INT_MAX),
    description: "rules across the tenant's groups (the default group's two seeded rules are not counted); null = unlimited; left out: unchanged",
  })
  @OptionalLimit(INT_MAX)
  securityGroupRules?: number | null;
  @ApiPropertyOptional({ ...limitDoc(BIG_MAX), description: "GiB across the tenant's own images; null = unlimited; left out: unchanged" })
  @OptionalLimit(BIG_MAX)
  imageGiB?: number | null;
}

/** The optional `quota` of POST /v1/tenants: limits left out are unlimited. */
export class NewTenantQuotaDto implements Partial<QuotaLimits> {
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) vms?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) vcpus?: number | null;
  @ApiPropertyOptional(limitDoc(BIG_MAX)) @OptionalLimit(BIG_MAX) memoryMiB?: number | null;
  @ApiPropertyOptional(limitDoc(BIG_MAX)) @OptionalLimit(BIG_MAX) diskGiB?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) networks?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) apiKeys?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) keypairs?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) volumes?: number | null;
  @ApiPropertyOptional(limitDoc(BIG_MAX)) @OptionalLimit(BIG_MAX) volumeGiB?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) snapshots?: number | null;
  @ApiPropertyOptional(limitDoc(BIG_MAX)) @OptionalLimit(BIG_MAX) snapshotGiB?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) publicIps?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) securityGroups?: number | null;
  @ApiPropertyOptional(limitDoc(INT_MAX)) @OptionalLimit(INT_MAX) securityGroupRules?: number | null;
  @ApiPropertyOptional(limitDoc(BIG_MAX)) @OptionalLimit(BIG_MAX) imageGiB?: number | null;
}

export class QuotaLimitsView implements QuotaLimits {
  @ApiProperty({ type: 'integer', nullable: true }) vms: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) vcpus: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) memoryMiB: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) diskGiB: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) networks: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) apiKeys: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) keypairs: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) volumes: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) volumeGiB: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) snapshots: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) snapshotGiB: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) publicIps: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) securityGroups: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) securityGroupRules: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) imageGiB: number | null;
}

export class QuotaAmountsView implements QuotaAmounts {
  @ApiProperty({ type: 'integer' }) vms: number;
  @ApiProperty({ type: 'integer' }) vcpus: number;
  @ApiProperty({ type: 'integer' }) memoryMiB: number;
  @ApiProperty({ type: 'integer' }) diskGiB: number;
  @ApiProperty({ type: 'integer' }) networks: number;
  @ApiProperty({ type: 'integer', description: 'live (unrevoked) API keys' }) apiKeys: number;
  @ApiProperty({ type: 'integer', description: 'SSH keypairs' }) keypairs: number;
  @ApiProperty({ type: 'integer' }) volumes: number;
  @ApiProperty({ type: 'integer', description: 'GiB across all volumes' }) volumeGiB: number;
  @ApiProperty({ type: 'integer', description: 'snapshots of VMs and volumes' }) snapshots: number;
  @ApiProperty({ type: 'integer', description: 'GiB across all snapshots' }) snapshotGiB: number;
  @ApiProperty({ type: 'integer', description: 'addresses held on provider networks' }) publicIps: number;
  @ApiProperty({ type: 'integer', description: 'security groups (not the default group)' }) securityGroups: number;
  @ApiProperty({ type: 'integer', description: 'security-group rules (not the default group’s seeded ones)' }) securityGroupRules: number;
  @ApiProperty({ type: 'integer', description: "GiB across the tenant's own images" }) imageGiB: number;
}

export class QuotaView {
  @ApiProperty({ type: QuotaLimitsView }) limits: QuotaLimitsView;
  @ApiProperty({
    type: QuotaAmountsView,
    description: 'live usage: what existing VMs, networks, API keys, keypairs, volumes, snapshots and security groups hold',
  })
  used: QuotaAmountsView;

  static of(this: void, q: Quota): QuotaView {
    return { limits: { ...q.limits }, used: { ...q.used } };
  }
}

export class QuotaRecountView extends QuotaView {
  @ApiProperty({ type: QuotaAmountsView, description: 'what the recount added to the stored usage; all zero when nothing drifted' })
  drift: QuotaAmountsView;

  static ofRecount(r: RecountResult): QuotaRecountView {
    return { ...QuotaView.of(r.quota), drift: { ...r.drift } };
  }
}
