import { registerDecorator, type ValidationArguments } from 'class-validator';

/**
 * Registers a rule on one property. The rule sees the whole object (rules here often span fields) and
 * returns null when satisfied or the message naming what is wrong.
 * No rule in this project uses @IsOptional: presence is a rule of its own, and value rules pass on absent values.
 */
export function rule(name: string, check: (value: unknown, object: Record<string, unknown>) => string | null) {
  return (target: object, propertyName: string): void => {
    // class-validator asks `validate` and `defaultMessage` separately; remember the message between them.
    const messages = new WeakMap<object, string>();
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const problem = check(value, args.object as Record<string, unknown>);
          if (problem === null) return true;
          messages.set(args.object, problem);
          return false;
        },
        defaultMessage(args: ValidationArguments) {
          return messages.get(args.object) ?? `${args.property} is invalid`;
        },
      },
    });
  };
}

export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}
