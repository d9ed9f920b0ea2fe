import { SetMetadata } from '@nestjs/common';

export const PUBLIC_KEY = 'xenplane:public';
/** Marks a route or controller as reachable without an API key (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
