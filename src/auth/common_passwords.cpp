// The embedded common-password list (lower-case) behind is_common_password(): the most used
// passwords from public breach-derived lists, kept in code so registration needs no data file.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "auth/password_hasher.h"

namespace faceid::auth {
namespace {

// Lower-case; the lookup lower-cases its input, which makes the check case-insensitive.
constexpr std::array<std::string_view, 320> kCommonPasswords = {
    "123456",      "password",   "12345678",   "qwerty",    "123456789",   "12345",
    "1234",        "111111",     "1234567",    "dragon",    "123123",      "baseball",
    "abc123",      "football",   "monkey",     "letmein",   "696969",      "shadow",
    "master",      "666666",     "qwertyuiop", "123321",    "mustang",     "1234567890",
    "michael",     "654321",     "superman",   "1qaz2wsx",  "7777777",     "121212",
    "000000",      "qazwsx",     "123qwe",     "killer",    "trustno1",    "jordan",
    "jennifer",    "zxcvbnm",    "asdfgh",     "hunter",    "buster",      "soccer",
    "harley",      "batman",     "andrew",     "tigger",    "sunshine",    "iloveyou",
    "2000",        "charlie",    "robert",     "thomas",    "hockey",      "ranger",
    "daniel",      "starwars",   "klaster",    "112233",    "george",      "computer",
    "michelle",    "jessica",    "pepper",     "1111",      "zxcvbn",      "555555",
    "11111111",    "131313",     "freedom",    "777777",    "pass",        "maggie",
    "159753",      "aaaaaa",     "ginger",     "princess",  "joshua",      "cheese",
    "amanda",      "summer",     "love",       "ashley",    "nicole",      "chelsea",
    "biteme",      "matthew",    "access",     "yankees",   "987654321",   "dallas",
    "austin",      "thunder",    "taylor",     "matrix",    "william",     "corvette",
    "hello",       "martin",     "heather",    "secret",    "merlin",      "diamond",
    "1234qwer",    "gfhjkm",     "hammer",     "silver",    "222222",      "88888888",
    "anthony",     "justin",     "test",       "bailey",    "q1w2e3r4t5",  "patrick",
    "internet",    "scooter",    "orange",     "11111",     "golfer",      "cookie",
    "richard",     "samantha",   "bigdog",     "guitar",    "jackson",     "whatever",
    "mickey",      "chicken",    "sparky",     "snoopy",    "maverick",    "phoenix",
    "camaro",      "peanut",     "morgan",     "welcome",   "falcon",      "cowboy",
    "ferrari",     "samsung",    "andrea",     "smokey",    "steelers",    "joseph",
    "mercedes",    "dakota",     "arsenal",    "eagles",    "melissa",     "boomer",
    "booboo",      "spider",     "nascar",     "monster",   "tigers",      "yellow",
    "xxxxxx",      "123123123",  "gateway",    "marina",    "diablo",      "bulldog",
    "qwer1234",    "compaq",     "purple",     "hardcore",  "banana",      "junior",
    "hannah",      "123654",     "porsche",    "lakers",    "iceman",      "money",
    "cowboys",     "987654",     "london",     "tennis",    "999999",      "ncc1701",
    "coffee",      "scooby",     "0000",       "miller",    "boston",      "q1w2e3r4",
    "brandon",     "yamaha",     "chester",    "mother",    "forever",     "johnny",
    "edward",      "333333",     "oliver",     "redsox",    "player",      "nikita",
    "knight",      "fender",     "barney",     "midnight",  "please",      "brandy",
    "chicago",     "badboy",     "slayer",     "rangers",   "charles",     "angel",
    "flower",      "bigdaddy",   "rabbit",     "wizard",    "bigdick",     "jasper",
    "enter",       "rachel",     "chris",      "steven",    "winner",      "adidas",
    "victoria",    "natasha",    "1q2w3e4r",   "jasmine",   "winter",      "prince",
    "panties",     "marine",     "ghbdtn",     "fishing",   "cocacola",    "casper",
    "james",       "232323",     "raiders",    "888888",    "marlboro",    "gandalf",
    "asshole",     "fuckme",     "fuckyou",    "1q2w3e",    "1q2w3e4r5t",  "password1",
    "password123", "passw0rd",   "p@ssw0rd",   "admin",     "admin123",    "administrator",
    "root",        "toor",       "changeme",   "default",   "guest",       "qwerty123",
    "qwerty1",     "abc12345",   "abcd1234",   "iloveyou1", "welcome1",    "welcome123",
    "letmein1",    "monkey1",    "dragon1",    "football1", "baseball1",   "superman1",
    "sunshine1",   "princess1",  "azerty",     "1qazxsw2",  "zaq12wsx",    "zaq1zaq1",
    "aa123456",    "123456a",    "a123456",    "qwe123",    "asd123",      "zxc123",
    "123abc",      "1234abcd",   "12341234",   "11223344",  "87654321",    "123456789a",
    "0123456789",  "0987654321", "1234512345", "123454321", "147258369",   "123qweasd",
    "qwertyui",    "asdfghjkl",  "asdfasdf",   "zxcvbnm1",  "passwort",    "motdepasse",
    "contraseña",  "senha",      "iloveu",     "lovely",    "loveme",      "hello123",
    "hellohello",  "secret123",  "login",      "logmein",   "letmein123",  "test123",
    "testtest",    "pa55word",   "pa55w0rd",   "p4ssword",  "football123", "facebook",
    "google",      "linkedin",
};

}  // namespace

bool is_common_password(std::string_view password) {
  std::string lowered(password);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // ~250 short strings: a linear scan costs well under a microsecond, no index needed.
  return std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lowered) !=
         kCommonPasswords.end();
}

}  // namespace faceid::auth
