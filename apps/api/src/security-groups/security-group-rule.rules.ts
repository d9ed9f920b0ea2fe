import { fieldError } from '@xenplane/core';
import { parseIpv4Cidr } from '@xenplane/network/ipam';
import type { CreateSecurityGroupRuleDto } from './security-group.dto.js';

/** A rule as stored: ports only for tcp/udp (portMax defaults to portMin), exactly one peer, a canonical CIDR. */
export interface CheckedRule {
  direction: CreateSecurityGroupRuleDto['direction'];
  protocol: CreateSecurityGroupRuleDto['protocol'];
  portMin: number | null;
  portMax: number | null;
  remoteCidr: string | null;
  remoteGroupId: string | null;
}

/** Rejects what the flows could not express exactly, each at its field (400 validation_failed). */
export function checkedRule(dto: CreateSecurityGroupRuleDto): CheckedRule {
  const ported = dto.protocol === 'tcp' || dto.protocol === 'udp';
  if (!ported && dto.portMin !== undefined) throw fieldError('portMin', `ports apply to tcp and udp only, not ${dto.protocol}`);
  if (!ported && dto.portMax !== undefined) throw fieldError('portMax', `ports apply to tcp and udp only, not ${dto.protocol}`);
  if (dto.portMax !== undefined && dto.portMin === undefined) throw fieldError('portMin', 'portMax needs portMin');
  const portMin = dto.portMin ?? null;
  const portMax = dto.portMax ?? dto.portMin ?? null;
  if (portMin !== null && portMax! < portMin) throw fieldError('portMax', `portMax (${portMax}) is below portMin (${portMin})`);
  if ((dto.remoteCidr === undefined) === (dto.remoteGroupId === undefined)) {
    throw fieldError('remoteCidr', 'give exactly one of remoteCidr (e.g. 0.0.0.0/0) and remoteGroupId');
  }
  if (dto.remoteCidr !== undefined) {
    try {
      parseIpv4Cidr(dto.remoteCidr);
    } catch (e) {
      throw fieldError('remoteCidr', (e as Error).message);
    }
  }
  return {
    direction: dto.direction,
    protocol: dto.protocol,
    portMin,
    portMax,
    remoteCidr: dto.remoteCidr ?? null,
    remoteGroupId: dto.remoteGroupId ?? null,
  };
}
