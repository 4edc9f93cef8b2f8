package app

// OpenWithStoreFile is Open with the store file opened by openFile, so a
// test can make the disk fail under the running bot.
var OpenWithStoreFile = open
