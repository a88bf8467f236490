// Package wxsandbox is a fake of WeChat's servers (api.weixin.qq.com, and the
// parts of mp.weixin.qq.com and open.weixin.qq.com that the project touches),
// because the real ones cannot be reached from development and CI machines.
//
// It is meant to be faithful where our code could get WeChat wrong: JSON
// shapes, parameter names, error codes, token life cycles, one-use codes, the
// 2023 template-message field rules, the daily quota, client_msg_id
// de-duplication, QR tickets and their expiry, menu validation, and the signed
// (and optionally AES-encrypted) callbacks that WeChat pushes to the official
// account's server. A "phone" drives those callbacks on behalf of simulated
// WeChat users, either from Go (Server.Subscribe, Server.Scan, ...), from the
// JSON control API under /sandbox/, or from the small human pages at
// /sandbox/ and /sandbox/scan.
//
// Endpoints faked (all on one handler, since the project rewrites every
// WeChat host to the sandbox):
//
//	GET  /cgi-bin/token                      access token (client_credential)
//	POST /cgi-bin/stable_token               stable access token, shared by all callers
//	GET  /sns/jscode2session                 mini program wx.login code
//	POST /wxa/business/getuserphonenumber    mini program phone-number code
//	POST /cgi-bin/message/template/send      official-account template message
//	POST /cgi-bin/qrcode/create              parametric QR code ticket
//	GET  /cgi-bin/showqrcode                 QR code PNG (real host: mp.weixin.qq.com)
//	POST /cgi-bin/menu/create                custom menu
//	GET  /cgi-bin/menu/get, /cgi-bin/menu/delete
//	GET  /cgi-bin/user/info                  follower info
//	GET  /connect/oauth2/authorize           web OAuth consent (real host: open.weixin.qq.com)
//	GET  /sns/oauth2/access_token            web OAuth code exchange
//	GET  /sns/userinfo                       web OAuth user info (snsapi_userinfo)
//
// What it does not fake: payments, media upload, customer-service and mass
// messages, subscribe messages of the mini program, conditional menus, the
// real QR payload (its PNG encodes the sandbox's own scan page instead of a
// weixin.qq.com/q/ URL), IP allow-lists, the token endpoint's own daily quota,
// the 30-second spacing of stable_token force refreshes, content security
// checks, and the mini program's encrypted-data (session_key) decryption. Any
// other path answers HTTP 404 with a JSON errcode of -1.
//
// Time comes from an injectable Clock, plus an offset that tests and the
// control API can advance, so tokens, codes and tickets expire without
// sleeping. Faults (error codes, latency, hung or dropped connections) can be
// injected per path prefix. Everything is safe for concurrent use.
package wxsandbox
