package wxsandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Signature is WeChat's callback signature: the hex SHA-1 of the parts sorted
// as strings and concatenated. With (token, timestamp, nonce) it is the
// "signature" query parameter; adding the Encrypt value gives msg_signature.
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// MsgCrypt implements WeChat's message encryption (the protocol of Tencent's
// WXBizMsgCrypt samples). The sandbox is WeChat's side of it, so it carries
// its own implementation rather than borrowing a client library's.
//
// ciphertext = AES-256-CBC(key, IV = key[:16],
//
//	PKCS#7-to-32(random[16] | len(msg) as 4-byte big endian | msg | appid))
//
// with key = base64(EncodingAESKey + "=").
type MsgCrypt struct {
	token string
	appID string
	key   []byte
}

// NewMsgCrypt returns the crypto of an account.
func NewMsgCrypt(token, encodingAESKey, appID string) (*MsgCrypt, error) {
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	return &MsgCrypt{token: token, appID: appID, key: key}, nil
}

const pkcs7Block = 32 // WeChat pads to 32 bytes, not to the AES block size

// Encrypt returns the base64 ciphertext of msg. random must be 16 bytes, or
// nil for fresh random bytes; fixing it makes the output deterministic, which
// known-answer tests need.
func (c *MsgCrypt) Encrypt(random, msg []byte) (string, error) {
	if random == nil {
		random = make([]byte, 16)
		if _, err := rand.Read(random); err != nil {
			return "", err
		}
	}
	if len(random) != 16 {
		return "", errors.New("wxsandbox: random prefix must be 16 bytes")
	}
	n := 20 + len(msg) + len(c.appID)
	pad := pkcs7Block - n%pkcs7Block
	plain := make([]byte, 0, n+pad)
	plain = append(plain, random...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, c.appID...)
	for range pad {
		plain = append(plain, byte(pad))
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", err
	}
	cipher.NewCBCEncrypter(block, c.key[:16]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}

// Decrypt reverses Encrypt and checks that the message was meant for this
// account's appid. It returns the message and its random prefix.
func (c *MsgCrypt) Decrypt(encrypted string) (msg, random []byte, err error) {
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, nil, fmt.Errorf("wxsandbox: ciphertext is not base64: %w", err)
	}
	if len(data) < aes.BlockSize || len(data)%aes.BlockSize != 0 {
		return nil, nil, fmt.Errorf("wxsandbox: ciphertext length %d is not a positive multiple of %d", len(data), aes.BlockSize)
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, c.key[:16]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > pkcs7Block || pad > len(plain) {
		return nil, nil, errors.New("wxsandbox: bad PKCS#7 padding")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, nil, errors.New("wxsandbox: bad PKCS#7 padding")
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, nil, errors.New("wxsandbox: plaintext too short")
	}
	size := int(binary.BigEndian.Uint32(plain[16:20]))
	if size > len(plain)-20 {
		return nil, nil, errors.New("wxsandbox: message length exceeds plaintext")
	}
	if appID := string(plain[20+size:]); appID != c.appID {
		return nil, nil, fmt.Errorf("wxsandbox: message is for appid %q, not %q", appID, c.appID)
	}
	return plain[20 : 20+size], plain[:16], nil
}

// Sign returns the msg_signature of an encrypted message.
func (c *MsgCrypt) Sign(timestamp, nonce, encrypted string) string {
	return Signature(c.token, timestamp, nonce, encrypted)
}
