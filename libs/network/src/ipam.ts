// Pure address arithmetic (subnets, addresses, MACs): all the API needs of libs/network, without the OVS parts.
export * from './cidr.js';
export * from './mac.js';
export * from './provider-subnet.js';
