// @novnc/novnc ships no types: the little of RFB the console view uses.
declare module '@novnc/novnc' {
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, url: string, options?: { wsProtocols?: string[] });
    scaleViewport: boolean;
    disconnect(): void;
  }
}
