import type { TextKey } from '../../i18n';
import type { Kind } from './model';

export const KIND_LABEL: Record<Kind, TextKey> = {
  encounter: 'kindEncounter',
  followup: 'followUps',
  condition: 'kindCondition',
  allergy: 'allergies',
  lab: 'labs',
  vital: 'kindVital',
  report: 'reports',
  medication: 'medications',
  immunization: 'immunizations',
  pregnancy: 'pregnancies',
  contract: 'contracts',
  referral: 'referrals',
  other: 'kindOther',
};

export const KIND_COLOR: Record<Kind, string> = {
  encounter: 'blue',
  followup: 'cyan',
  condition: 'volcano',
  allergy: 'red',
  lab: 'purple',
  vital: 'geekblue',
  report: 'magenta',
  medication: 'green',
  immunization: 'lime',
  pregnancy: 'pink',
  contract: 'gold',
  referral: 'orange',
  other: 'default',
};
