import { Field, Float, ID, InputType } from 'type-graphql';
import { LipSyncMode } from './LipSyncMode';
import { CallbackUrlField, IdempotencyKeyField } from './taskInputFields';
import { VoiceLanguage } from './VoiceLanguage';
import {
  BelongsToMode,
  CharLength,
  ExactlyOneOf,
  InferableMode,
  InRange,
  IsBase64Audio,
  IsOutboundUrl,
  modeOf,
} from './validation/rules';

export const MAX_AUDIO_BYTES = 5 * 1024 * 1024;
export { MAX_IDEMPOTENCY_KEY_LENGTH } from './taskInputFields';
const isAudioMode = (input: Record<string, unknown>) => modeOf(input) === LipSyncMode.AUDIO_TO_VIDEO;

@InputType({
  description:
    'What to lip-sync. Give the video (videoId or videoUrl) and the speech: text + voiceId + voiceLanguage, ' +
    'or audioUrl / audioFile. Empty strings count as not given.',
})
export class CreateLipSyncInput {
  @ExactlyOneOf(['videoId', 'videoUrl'])
  @CharLength(1, 128, { notBlank: true })
  @Field(() => ID, {
    nullable: true,
    description: 'A video made by Kling on the same account. Exactly one of videoId / videoUrl.',
  })
  videoId?: string | null;

  @IsOutboundUrl()
  @Field(() => String, {
    nullable: true,
    description:
      'https URL (http only when the server allows it) on a public host of an mp4/mov (≤100 MB, 720p or 1080p), ' +
      'at most 2,048 characters. Exactly one of videoId / videoUrl.',
  })
  videoUrl?: string | null;

  @InferableMode()
  @Field(() => LipSyncMode, {
    nullable: true,
    description: 'Optional: inferred from the fields (text → TEXT_TO_VIDEO, audio → AUDIO_TO_VIDEO).',
  })
  mode?: LipSyncMode | null;

  @BelongsToMode(LipSyncMode.TEXT_TO_VIDEO, { required: true })
  @CharLength(1, 120, { notBlank: true })
  @Field(() => String, { nullable: true, description: 'TEXT_TO_VIDEO: what to say, 1–120 characters.' })
  text?: string | null;

  @BelongsToMode(LipSyncMode.TEXT_TO_VIDEO, { required: true })
  @CharLength(1, 128, { notBlank: true })
  @Field(() => String, { nullable: true, description: 'TEXT_TO_VIDEO: a voice id (see the `voices` query).' })
  voiceId?: string | null;

  @BelongsToMode(LipSyncMode.TEXT_TO_VIDEO, { required: true })
  @Field(() => VoiceLanguage, { nullable: true, description: 'TEXT_TO_VIDEO: the language of the voice.' })
  voiceLanguage?: VoiceLanguage | null;

  @BelongsToMode(LipSyncMode.TEXT_TO_VIDEO, { required: false })
  @InRange(0.8, 2.0)
  @Field(() => Float, { nullable: true, description: 'TEXT_TO_VIDEO: speaking speed, 0.8–2.0 (default 1.0).' })
  voiceSpeed?: number | null;

  @ExactlyOneOf(['audioUrl', 'audioFile'], isAudioMode)
  @BelongsToMode(LipSyncMode.AUDIO_TO_VIDEO, { required: false })
  @IsOutboundUrl()
  @Field(() => String, {
    nullable: true,
    description:
      'AUDIO_TO_VIDEO: https URL on a public host of mp3/wav/m4a/aac (≤5 MB). Exactly one of audioUrl / audioFile.',
  })
  audioUrl?: string | null;

  @BelongsToMode(LipSyncMode.AUDIO_TO_VIDEO, { required: false })
  @IsBase64Audio(MAX_AUDIO_BYTES)
  @Field(() => String, {
    nullable: true,
    description: 'AUDIO_TO_VIDEO: the audio as plain Base64, ≤5 MB decoded. Exactly one of audioUrl / audioFile.',
  })
  audioFile?: string | null;

  @CallbackUrlField()
  callbackUrl?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}
