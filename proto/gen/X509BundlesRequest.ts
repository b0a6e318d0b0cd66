// Original file: spiffe/workloadapi.proto


export interface X509BundlesRequest {
}

export interface X509BundlesRequest__Output {
}
