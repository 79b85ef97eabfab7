import type { RuleError } from '../../domain/campaigns/campaign.js';

/** A valid request the campaign's state or references refuse (422 with `slug`, and the fields at fault). */
export class CampaignRefusal extends Error {
  constructor(
    readonly slug: string,
    detail: string,
    readonly errors: RuleError[] = [],
  ) {
    super(detail);
  }
}

export class CampaignNotFound extends Error {
  constructor() {
    super('Campaign not found');
  }
}
