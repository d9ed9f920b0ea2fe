// Usage metering, rating and billing exports (issue 7).
export {};
