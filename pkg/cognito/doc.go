// Package cognito manages the deployment's Cognito users and their groups:
// it finds the user pool from the api stack's outputs, reads the pool's
// password policy and groups, and creates, lists, regroups and removes
// users. Every check on input (e-mail, password, groups) runs before any
// write, so bad input changes nothing.
package cognito
