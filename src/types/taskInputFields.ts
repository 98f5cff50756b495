import { Field } from 'type-graphql';
import { CharLength, IsOutboundUrl } from './validation/rules';

/** for the input field and the Idempotency-Key header alike */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** a property decorator as class-validator's are typed (a string key) */
type FieldDecorator = (target: object, key: string) => void;

/**
 * Fields every create input has (createLipSync, createAdvancedLipSync), declared once so their rules and
 * descriptions cannot drift apart. Each applies its decorators in the order a stack written on the property
 * would (bottom first: the field, then its rule).
 */
export function CallbackUrlField(): FieldDecorator {
  return (target, key) => {
    Field(() => String, {
      nullable: true,
      description:
        'Where this server will send webhooks for the task (same URL rules as videoUrl). Never forwarded to the upstream.',
    })(target, key);
    IsOutboundUrl()(target, key);
  };
}

export function IdempotencyKeyField(): FieldDecorator {
  return (target, key) => {
    Field(() => String, {
      nullable: true,
      description:
        'Makes retries safe: the same key with the same input returns the same task (one upstream call) for 24 h; ' +
        'the same key with another input is rejected. Defaults to the Idempotency-Key HTTP header.',
    })(target, key);
    CharLength(1, MAX_IDEMPOTENCY_KEY_LENGTH)(target, key);
  };
}
