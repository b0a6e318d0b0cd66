// Original file: spiffe/workloadapi.proto


export interface JWTBundlesRequest {
}

export interface JWTBundlesRequest__Output {
}
