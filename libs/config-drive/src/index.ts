export { configDriveContent, contentDigest, DRIVE_LAYOUTS, type DriveContent, type DriveLayout, type DriveSpec } from './config-drive.js';
export { networkConfigV2, openstackNetworkData, type DriveNic } from './network-config.js';
export { mergeUserData, userDataKind } from './user-data.js';
export { buildIsoImage } from './iso-image.js';
