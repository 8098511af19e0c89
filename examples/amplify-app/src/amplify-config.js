// Amplify v6's configuration for mamori, built from the deployment's config.json (see
// config.example.json and docs/amplify.md). The only mamori-specific parts are the two
// endpoints (userPoolEndpoint, identityPoolEndpoint) and the hosted login's domain.

/**
 * @param {object} deployment config.json: {endpoint, userPoolId, userPoolClientId,
 *   identityPoolId, hostedDomain, scopes?}
 * @param {string} origin this app's origin (window.location.origin): the hosted login
 *   returns here, so `${origin}/` must be one of the app client's CallbackURLs and LogoutURLs
 */
export function amplifyConfig(deployment, origin) {
  return {
    Auth: {
      Cognito: {
        userPoolId: deployment.userPoolId, // us-east-1_AbC: Amplify reads the region from it
        userPoolClientId: deployment.userPoolClientId, // an app client without a secret
        userPoolEndpoint: deployment.endpoint, // mamori's URL instead of cognito-idp.<region>.amazonaws.com
        identityPoolId: deployment.identityPoolId,
        identityPoolEndpoint: deployment.endpoint, // instead of cognito-identity.<region>.amazonaws.com
        allowGuestAccess: false,
        signUpVerificationMethod: 'code',
        loginWith: {
          username: true,
          email: false,
          oauth: {
            domain: deployment.hostedDomain, // the pool's domain on mamori, no scheme: Amplify adds https://
            scopes: deployment.scopes ?? ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'],
            redirectSignIn: [`${origin}/`],
            redirectSignOut: [`${origin}/`],
            responseType: 'code',
          },
        },
        userAttributes: { email: { required: true } },
        mfa: { status: 'optional', totpEnabled: true, smsEnabled: false },
        passwordFormat: {
          minLength: 8,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSpecialCharacters: true,
        },
      },
    },
  };
}
