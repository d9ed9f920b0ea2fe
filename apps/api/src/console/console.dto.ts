import { ApiProperty } from '@nestjs/swagger';

export class ConsoleView {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'wss://api.example.com/v1/consoles/connect?token=Zm9v…',
    description:
      'the WebSocket to open (subprotocol `binary`, as noVNC offers): raw RFB in binary frames. It carries a single-use token; ' +
      'null in an Idempotency-Key replay (ask for a new console instead)',
  })
  url: string | null;
  @ApiProperty({ format: 'date-time', description: 'connect before this (30 s after issue); the session itself may last as long as it is used' })
  expiresAt: string;
}
